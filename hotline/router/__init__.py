"""The linkage router: normalize -> match phrases (chars + pinyin) -> context -> decision."""

from hotline.router.decide import ACTIONS, Decision, Router, get_router, route_call

__all__ = ["ACTIONS", "Decision", "Router", "get_router", "route_call"]
