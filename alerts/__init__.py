"""Alerts (CONTRACT §10): who hears about trouble at night.

targets.py   alert.* ops: targets stored with sealed secrets; the state's ``alerts`` (admins)
words.py     an alert: its event, subject, one plain sentence and its deep link (pure)
detect.py    which changes of the board's stream are alerts; the periodic conditions
senders.py   telegram (aiogram), webhook (httpx through fetching/'s guard), email (aiosmtplib)
alerter.py   the loop: claims each alert in the database (one instance sends), delivers in
             the background with retries, records each target's health
"""
