"""What a member's behaviour says: heat index, shopping persona, dormancy, and the activity they read.

Pure functions over values, plus the queries that fetch their inputs; no routes, no FastAPI. Features
(the profile, tags, loyalty, events, the task list) import this package; it imports none of them.
"""
