"""Intake: referrals and seized data in the formats agencies already use."""
