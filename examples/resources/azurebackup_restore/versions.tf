terraform {
  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}

provider "azurebackup" {}
