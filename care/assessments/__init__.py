"""The clinical records a journey's steps produce: holistic assessment and PCSP."""
