"""Bulk import of institutions filed before the portal (provincial spreadsheets).

``workbook`` knows the file layout and checks untrusted uploads, ``xlsx`` streams cell
values out of a workbook, ``template`` writes the blank workbook, ``plan`` turns rows into
a checked plan, ``services`` are the writes (upload, dry run, all-or-nothing commit).
"""
