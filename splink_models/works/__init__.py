"""Works model (SongDNA): recording groups clustered into songs."""
