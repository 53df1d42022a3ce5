from django.dispatch import Signal

# Sent with `directive` once a draft is issued, inside the transaction that issues it:
# the recipients and requirements are final from here on.
directive_issued = Signal()
