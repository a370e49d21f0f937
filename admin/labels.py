"""Chinese names for what the call log stores as codes."""

ACTION = {
    "accept": "受理",
    "transfer": "一键转接",
    "conference": "三方通话",
    "guide": "直接引导",
    "clarify": "追问",
    "agent": "转人工",
}
PLATFORM = {"12345": "12345 政务热线", "110": "110 报警台"}
TARGET = {
    "110": "110",
    "12345": "12345",
    "119": "119 消防",
    "120": "120 急救",
    "122": "122 交警",
    "12348": "12348 法律服务",
    "12313": "12313 烟草",
    "12395": "12395 水上救援",
    "utility:power": "供电",
    "utility:water": "供水",
    "utility:gas": "燃气",
    "utility:heat": "供热",
    "utility:telecom": "通信",
    "locksmith": "开锁",
}
EVENT = {
    "answer": "接听",
    "prompt": "播放提示音",
    "speech_end": "来电人说完",
    "transcript": "语音识别",
    "decision": "分流决定",
    "action": "执行动作",
    "handover": "转接",
    "answered": "对方接听",
    "agent": "话务座席",
    "agent_feature": "座席一键功能",
    "bridge_join": "加入会议",
    "bridge_leave": "离开会议",
    "dtmf": "按键",
    "fallback": "故障兜底",
    "hangup": "挂机",
    "error": "错误",
    "capture_fallback": "改用录音方式收音",
}


def outcome(value: str | None) -> str:
    if not value:
        return "进行中"
    kind, _, rest = value.partition(":")
    names = {
        "reached": "已转至",
        "conference": "三方通话",
        "accepted": "已受理",
        "guided": "已引导",
        "agent": "人工处理",
        "hangup": "来电人挂机",
    }
    label = names.get(kind, kind)
    return f"{label} {TARGET.get(rest, rest)}".strip() if rest else label
