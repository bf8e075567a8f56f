"""corral.commands"""
