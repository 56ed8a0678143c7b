"""The directory of mentors (`GET /mentors`, `GET /mentors/suggestions`): a flow above the
members, whose profiles it lists, and mentoring, whose mentor profiles and mentorships pick
them. Mentorships themselves are app.mentoring.
"""
