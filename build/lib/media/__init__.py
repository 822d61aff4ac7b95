"""Photos and videos: what is accepted (sniff.py), how it is cleaned (images.py, video.py),
where it is kept (storage.py), its URLs (urls.py) and the use cases: upload, serve to whoever
may see it, clean up (service.py). The HTTP side is web/graphql/uploads.py and web/media.py."""
