"""A closed challenge's results: a flow above challenges, submissions and votes.

The ranking reads the tallies votes keep on each work (`app.challenges.ranking`) and shows
each work as the submissions feature presents it, so it sits above all three.
"""
