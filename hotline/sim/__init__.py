"""DEV/TEST ONLY: the simulated side of the telephone network for tests, benchmarks and the demo.

`asterisk-sim/` (rendered by `hotline asterisk up --sim`) holds the simulated neighbours, agent phones
and test callers; this package places SIPp calls into it (`sipcall`) and tells the simulated
neighbours how to behave for one test call (`neighbours`). Nothing in the production call path
imports it.
"""
