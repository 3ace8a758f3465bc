"""Autofill, the pure core of answering a questionnaire (no Flask, no database):

* `plan`  questionnaire + library index -> proposals (filled, suggested, unanswered) and the JSON report
* `fit`   what goes where for one library answer: the answer cell (a dropdown's own spelling), the details
* `fill`  answers -> the customer's file, never over an answer the file already holds (`keep_theirs`)

The CLI's `vault autofill` and the web review both use these; neither keeps a rule of its own."""
from answers.autofill.plan import Proposal, propose_answers, reason, report, review_flags

__all__ = ["Proposal", "propose_answers", "reason", "report", "review_flags"]
