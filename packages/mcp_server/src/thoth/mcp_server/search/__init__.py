"""The tools behind the protocol's contract: specs, argument checks, the four tools, cursors,
the index registry, the query encoder and ranking. Imports protocol.tools, never transport/.
"""
