from django.dispatch import Signal

# Sent with `directive` once a draft is issued, inside the transaction that issues it:
# the recipients and requirements are final from here on. A receiver may answer with a
# sentence for the issuing page (who was told of it, and how); `directive_issue` keeps
# them in the directive's `announcements`.
directive_issued = Signal()

# Sent with `union`, `into` and `assignments` (the keys of the assignments moved from one to
# the other) once a union is merged into another, inside the transaction that merges them:
# whatever another app keeps by union follows the moved assignments.
union_merged = Signal()
