"""Imported by the analysis pool's fork server when stories are on: the signature's tables (places,
stop words) built once there, so that every worker forked from it shares them."""

from crawler.stories.signature import signature

signature("Preload", None, "Canada and Mexico.")  # builds the places automaton and the stop words
