select * from marts.eda_histogram_bins
