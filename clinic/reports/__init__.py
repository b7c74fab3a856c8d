"""Printed documents built from the same summaries the review screen plots."""
