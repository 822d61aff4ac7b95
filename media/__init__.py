"""Photos and videos: what is accepted, how it is cleaned, where it is kept and who may see it."""
