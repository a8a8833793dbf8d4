"""Alerts (CONTRACT §10): who hears about trouble at night.

targets.py   alert.* ops: targets stored with sealed secrets; the state's ``alerts`` (admins)
words.py     an alert: its event, subject, one plain sentence and its deep link (pure)
detect.py    which changes of the board's stream are alerts; the periodic conditions
senders.py   telegram (aiogram), webhook (httpx through fetching/'s guard), email (aiosmtplib)
alerter.py   the loop: hears changes, looks for conditions, claims each alert in the database
             (one instance sends)
delivery.py  a task per alert and target: retries, a deadline per attempt, the target's health
"""
