"""The exercise protocol: what the clinic tells the patient, kept out of the widgets."""
