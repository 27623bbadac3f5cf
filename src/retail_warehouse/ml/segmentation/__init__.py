"""Customer segmentation (python_models/segmentation/): features.py chooses and scales the
features, clustering.py selects and fits the model, profiles.py names the segments,
stability.py measures how long a segmentation holds; tables.py has one function per dbt model."""
