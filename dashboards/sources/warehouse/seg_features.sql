select * from ml.segmentation_features
