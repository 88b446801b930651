"""Case notes on a referral: the front door's (issue 23, item 4)."""
