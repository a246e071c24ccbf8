terraform {
  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}

# Credentials come from the ARM_* environment variables (or the Azure CLI) unless set here.
# Against the built-in emulator, export the variables it prints when it starts.
provider "azurebackup" {
  # api_version              = "2025-07-01"
  # role_propagation_timeout = "5m"
}
