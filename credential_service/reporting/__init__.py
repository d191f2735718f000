"""The Sở's progress of the roll-out (issue #16): the model, the dashboard, the reports to the city."""
