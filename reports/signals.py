from django.dispatch import Signal

# Sent with `urge` once an urge is saved, after the transaction that saves it commits: the
# notifications connect to it to tell the urged union's members.
urge_sent = Signal()
