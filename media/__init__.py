"""Media storage: images and videos stored once, on the local disk or in S3.

Staging and sniffing an upload (``staging``, ``sniff``), the backends behind one interface
(``backend``: ``local``, ``s3``, the latter importing boto3 only when chosen), signed links
for networks that fetch media themselves (``signing``), the ``media`` table's rows (``rows``)
and the store that ties them together (``store``). It knows no adapters and no HTTP: the
upload endpoint (web/media_api.py) and the posters (poster/media.py) use it.
"""
