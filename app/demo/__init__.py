"""The demo community for `sanggar seed-demo`: a flow above the features.

`app.demo.community` grows the members and then hands them to each feature's part
(`app.demo.events`, `app.demo.challenges`, ...), which plays it out through that feature's
services, as requests would. No feature imports the demo; it imports them.
"""
