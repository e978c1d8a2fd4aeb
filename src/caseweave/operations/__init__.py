"""Operations, the agencies taking part, and their memberships."""
