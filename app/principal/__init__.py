"""Who is calling: the principal behind a request's Bearer token, and the checks built on it.

Every router needs it and no feature owns it, so it sits below the features, above
`app.core` and `app.models`, and imports neither log-in (`app.auth`) nor members
(`app.members`): they build on it. It holds the dependencies (`CurrentMember`,
`AdminMember`, `CreationDep`…), the token lookup (`tokens`), the lookups remembered
(`cache`, told of other processes' changes by `polling`, and by `broadcast` with Redis), the
tokens' last uses written in batches (`usage`), and `changes.principals_changed`, the one
way a service says that a commit changes who a token is.
"""
