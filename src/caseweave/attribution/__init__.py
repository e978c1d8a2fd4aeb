"""Attribution: where each subject most likely is (a country distribution with a confidence and the
evidence for it), and routing: which member agency acts on it. See docs/attribution.md."""
