"""What the pages and the report read: a data source judged once (`datasource`), the monthly review
(`review`), the live queue (`queue`), the systemic metrics (`insights`) and the feedback loops
(`feedback`), all filtered by one `Filters` through one clause builder (`where`)."""
