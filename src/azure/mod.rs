//! The Azure side: everything needed to call the Data Protection API, and nothing about
//! Terraform.
