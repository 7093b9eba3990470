"""Reading a song as a lead sheet (melody, chords, key) plus its band parts by role. No torch."""
