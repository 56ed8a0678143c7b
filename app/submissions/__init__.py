"""Works entered in challenges, their authors' edits and organizers' moderation."""
