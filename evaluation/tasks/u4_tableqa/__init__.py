"""NTCIR-18 U4 table QA as kinyu eval tasks: u4_tableqa (generative) and u4_tableqa_mc (likelihood), see items.py."""
