terraform {
  # terraform_data (in the stand-in module) needs Terraform 1.4.
  required_version = ">= 1.4"

  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}

provider "azurebackup" {}
