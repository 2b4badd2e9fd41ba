"""The Scrapy spiders of tradewatch."""
