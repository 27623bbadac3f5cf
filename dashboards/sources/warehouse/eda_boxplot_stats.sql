select * from marts.eda_boxplot_stats
