"""Landing: read the raw input files (xlsx, csv, csv.gz) into text tables, every row kept."""
