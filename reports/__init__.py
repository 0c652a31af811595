"""Leaderboard maths (pure functions), plots and the static site."""
