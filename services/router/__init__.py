"""The router: one consumer of drr.events deciding, by the sharing policy, who is told what.

    app.py         build(): the tables, the one agent on drr.events, dead letters
    tables.py      the case's team, agreements and exclusions, and who received each event
    handling.py    one event -> the case state to store and the messages to send (pure)
    routing.py     policy decisions -> one redacted delivery per recipient, one audit record per decision
    publishing.py  sends straight to the producer; the offset is committed only once they are acknowledged
    bootstrap.py   settings (DRR_ROUTER_*)

One `trigger.reported`: app.py (route) -> tables.py (the case's state) -> handling.py -> shared/policy
(decide) -> routing.py -> publishing.py -> drr.deliveries and drr.audit.
"""
