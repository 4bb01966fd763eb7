"""The tools and resources behind the protocol's contracts: specs, argument checks, the handbook tools,
ChatGPT's search/fetch, thoth:// pages and sections, cursors, the index registry, the query encoder and
ranking. Imports protocol.tools and protocol.resources, never transport/.
"""
