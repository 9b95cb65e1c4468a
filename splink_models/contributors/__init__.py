"""Contributors model (SongDNA): credited names clustered into people."""
