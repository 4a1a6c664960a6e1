"""Where the reader stands: every exercise checked at once, a scorecard by level and plane.

Each exercise page (``exercises/<id>/exercise.md``) says in its front matter which level it
belongs to, which plane it is about and which syllabus items it trains; that front matter is
the only list, read by ``threeplanes.checking.exercises``. ``order`` sorts the exercises,
``namespaces`` finds the namespace the reader made for each exercise, ``scorecard`` runs the
checkers and tallies them, ``progress`` remembers the last run, ``report`` writes the HTML
page, ``reset`` removes an attempt, ``quizzes`` reads the chapters' quiz data, ``notebook``
checks one exercise from a lab, ``sample`` applies reference solutions for the book's own
sample scorecard, and ``cli`` wires the commands.

Nothing here computes a path into the repository: the caller passes the exercises folder.
"""
