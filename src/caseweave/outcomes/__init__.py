"""Outcomes: arrests, charges, pleas, verdicts and sentences per subject and country."""
