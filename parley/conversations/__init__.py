"""AI conversations: threads of prompts and answers owned by one member."""
