"""The MCP server: Parley's models, assistant and conversations as tools any MCP client
can call, over Streamable HTTP at ``/mcp`` (``parley serve``) and over stdio
(``parley mcp``)."""
