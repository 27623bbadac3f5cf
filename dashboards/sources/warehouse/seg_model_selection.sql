select * from ml.segmentation_model_selection
