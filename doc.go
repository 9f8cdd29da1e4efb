// Package awsrdsreceiver discovers AWS RDS instances and Aurora clusters and emits their
// CloudWatch metrics through the collector's scraper helper.
package awsrdsreceiver
