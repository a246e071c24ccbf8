terraform {
  required_version = ">= 1.0.3"

  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}
